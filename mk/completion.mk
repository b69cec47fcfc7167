# Bash completion for both programs (issue 14 item 20): one script, which
# asks the programs for their commands and options (--help), installed as
# "keyceremony" in bashcompletiondir (configure --with-bash-completion-dir)
# with "factorysign" a symbolic link to it, since bash-completion loads a
# command's completion from the file of its name.
if KC_BASHCOMP
dist_bashcompletion_DATA = contrib/bash-completion/keyceremony
install-data-hook: install-bashcomp-link
uninstall-hook: uninstall-bashcomp-link
endif
install-bashcomp-link:
	cd "$(DESTDIR)$(bashcompletiondir)" && rm -f factorysign && \
	$(LN_S) keyceremony factorysign
uninstall-bashcomp-link:
	rm -f "$(DESTDIR)$(bashcompletiondir)/factorysign"
.PHONY: install-bashcomp-link uninstall-bashcomp-link
EXTRA_DIST += contrib/bash-completion/keyceremony
TESTS += tests/first-use/completion.sh
EXTRA_DIST += tests/first-use/completion.sh
