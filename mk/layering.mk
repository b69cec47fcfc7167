# The layering rules the build enforces (docs/HACKING.md, "Layers").
#
# layering/forbid/ holds one header for each that the factory side and the
# core must not include: every header of include/kc/hsm and
# include/kc/ceremony, and libp11, PKCS#11, libyaml, libgfshare, curses,
# cairo, pango and libqrencode. Each is an #error naming the rule. It comes
# first on the include path of libkc-core, libkc-factory, libkcfront and
# factorysign, so such an include fails to compile there, whatever the
# system has installed. tests/layering.sh checks the rest: the include
# graph of every layer, the programs' dynamic dependencies, and that the
# factory side builds from its own link line.
KC_FORBID_CPPFLAGS = -I$(top_builddir)/layering/forbid
KC_FORBID_EXTERNAL = libp11.h pkcs11.h p11-kit/pkcs11.h p11-kit/p11-kit.h \
	yaml.h libgfshare.h curses.h ncurses.h ncursesw/curses.h \
	cairo.h cairo-pdf.h pango/pangocairo.h qrencode.h
BUILT_SOURCES = layering/forbid.stamp
layering/forbid.stamp: $(top_srcdir)/mk/layering.mk $(top_srcdir)/configure.ac
	@rm -rf layering/forbid && $(MKDIR_P) layering/forbid/kc
	@for h in $(KC_FORBID_EXTERNAL); do \
	  $(MKDIR_P) "layering/forbid/$$(dirname $$h)"; \
	  printf '#error "layering: <%s> belongs to the HSM or ceremony side; the core and the factory side must not include it (docs/HACKING.md)"\n' "$$h" > "layering/forbid/$$h"; \
	done
	@for d in hsm ceremony; do $(MKDIR_P) layering/forbid/kc/$$d; \
	  for h in $(top_srcdir)/include/kc/$$d/*.h; do b=$$(basename $$h); \
	    printf '#error "layering: kc/%s/%s belongs to the %s side; the core and the factory side must not include it (docs/HACKING.md)"\n' "$$d" "$$b" "$$d" > "layering/forbid/kc/$$d/$$b"; \
	  done; done
	@touch $@
clean-local: clean-layering
clean-layering:
	rm -rf layering
.PHONY: clean-layering

# `make print-link-lines`: the link line of each program, as the build
# uses it (tests/layering.sh reads factorysign's).
print-link-lines:
	@echo "factorysign: $(factorysign_LDADD) $(LIBS)"
	@echo "keyceremony: $(keyceremony_LDADD) $(LIBS)"
.PHONY: print-link-lines

TESTS += tests/layering.sh
