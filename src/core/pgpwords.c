/* pgpwords.c: the PGP word list (Juola and Zimmermann, 1995), used to read
 * a transcript's final digest aloud and write it on paper. Byte i of the
 * data takes a word from the "even" list (two syllables) when i is even and
 * from the "odd" list (three syllables) when i is odd, so that a swapped,
 * doubled or dropped word is noticed. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "kc/core/error.h"
#include "kc/core/pgpwords.h"

/* Even offsets: two syllables. */
static const char *const even_words[256] = {
	/* 00 */ "aardvark", "absurd", "accrue", "acme",
	/* 04 */ "adrift", "adult", "afflict", "ahead",
	/* 08 */ "aimless", "Algol", "allow", "alone",
	/* 0C */ "ammo", "ancient", "apple", "artist",
	/* 10 */ "assume", "Athens", "atlas", "Aztec",
	/* 14 */ "baboon", "backfield", "backward", "banjo",
	/* 18 */ "beaming", "bedlamp", "beehive", "beeswax",
	/* 1C */ "befriend", "Belfast", "berserk", "billiard",
	/* 20 */ "bison", "blackjack", "blockade", "blowtorch",
	/* 24 */ "bluebird", "bombast", "bookshelf", "brackish",
	/* 28 */ "breadline", "breakup", "brickyard", "briefcase",
	/* 2C */ "Burbank", "button", "buzzard", "cement",
	/* 30 */ "chairlift", "chatter", "checkup", "chisel",
	/* 34 */ "choking", "chopper", "Christmas", "clamshell",
	/* 38 */ "classic", "classroom", "cleanup", "clockwork",
	/* 3C */ "cobra", "commence", "concert", "cowbell",
	/* 40 */ "crackdown", "cranky", "crowfoot", "crucial",
	/* 44 */ "crumpled", "crusade", "cubic", "dashboard",
	/* 48 */ "deadbolt", "deckhand", "dogsled", "dragnet",
	/* 4C */ "drainage", "dreadful", "drifter", "dropper",
	/* 50 */ "drumbeat", "drunken", "Dupont", "dwelling",
	/* 54 */ "eating", "edict", "egghead", "eightball",
	/* 58 */ "endorse", "endow", "enlist", "erase",
	/* 5C */ "escape", "exceed", "eyeglass", "eyetooth",
	/* 60 */ "facial", "fallout", "flagpole", "flatfoot",
	/* 64 */ "flytrap", "fracture", "framework", "freedom",
	/* 68 */ "frighten", "gazelle", "Geiger", "glitter",
	/* 6C */ "glucose", "goggles", "goldfish", "gremlin",
	/* 70 */ "guidance", "hamlet", "highchair", "hockey",
	/* 74 */ "indoors", "indulge", "inverse", "involve",
	/* 78 */ "island", "jawbone", "keyboard", "kickoff",
	/* 7C */ "kiwi", "klaxon", "locale", "lockup",
	/* 80 */ "merit", "minnow", "miser", "Mohawk",
	/* 84 */ "mural", "music", "necklace", "Neptune",
	/* 88 */ "newborn", "nightbird", "Oakland", "obtuse",
	/* 8C */ "offload", "optic", "orca", "payday",
	/* 90 */ "peachy", "pheasant", "physique", "playhouse",
	/* 94 */ "Pluto", "preclude", "prefer", "preshrunk",
	/* 98 */ "printer", "prowler", "pupil", "puppy",
	/* 9C */ "python", "quadrant", "quiver", "quota",
	/* A0 */ "ragtime", "ratchet", "rebirth", "reform",
	/* A4 */ "regain", "reindeer", "rematch", "repay",
	/* A8 */ "retouch", "revenge", "reward", "rhythm",
	/* AC */ "ribcage", "ringbolt", "robust", "rocker",
	/* B0 */ "ruffled", "sailboat", "sawdust", "scallion",
	/* B4 */ "scenic", "scorecard", "Scotland", "seabird",
	/* B8 */ "select", "sentence", "shadow", "shamrock",
	/* BC */ "showgirl", "skullcap", "skydive", "slingshot",
	/* C0 */ "slowdown", "snapline", "snapshot", "snowcap",
	/* C4 */ "snowslide", "solo", "southward", "soybean",
	/* C8 */ "spaniel", "spearhead", "spellbind", "spheroid",
	/* CC */ "spigot", "spindle", "spyglass", "stagehand",
	/* D0 */ "stagnate", "stairway", "standard", "stapler",
	/* D4 */ "steamship", "sterling", "stockman", "stopwatch",
	/* D8 */ "stormy", "sugar", "surmount", "suspense",
	/* DC */ "sweatband", "swelter", "tactics", "talon",
	/* E0 */ "tapeworm", "tempest", "tiger", "tissue",
	/* E4 */ "tonic", "topmost", "tracker", "transit",
	/* E8 */ "trauma", "treadmill", "Trojan", "trouble",
	/* EC */ "tumor", "tunnel", "tycoon", "uncut",
	/* F0 */ "unearth", "unwind", "uproot", "upset",
	/* F4 */ "upshot", "vapor", "village", "virus",
	/* F8 */ "Vulcan", "waffle", "wallet", "watchword",
	/* FC */ "wayside", "willow", "woodlark", "Zulu",
};

/* Odd offsets: three syllables. */
static const char *const odd_words[256] = {
	/* 00 */ "adroitness", "adviser", "aftermath", "aggregate",
	/* 04 */ "alkali", "almighty", "amulet", "amusement",
	/* 08 */ "antenna", "applicant", "Apollo", "armistice",
	/* 0C */ "article", "asteroid", "Atlantic", "atmosphere",
	/* 10 */ "autopsy", "Babylon", "backwater", "barbecue",
	/* 14 */ "belowground", "bifocals", "bodyguard", "bookseller",
	/* 18 */ "borderline", "bottomless", "Bradbury", "bravado",
	/* 1C */ "Brazilian", "breakaway", "Burlington", "businessman",
	/* 20 */ "butterfat", "Camelot", "candidate", "cannonball",
	/* 24 */ "Capricorn", "caravan", "caretaker", "celebrate",
	/* 28 */ "cellulose", "certify", "chambermaid", "Cherokee",
	/* 2C */ "Chicago", "clergyman", "coherence", "combustion",
	/* 30 */ "commando", "company", "component", "concurrent",
	/* 34 */ "confidence", "conformist", "congregate", "consensus",
	/* 38 */ "consulting", "corporate", "corrosion", "councilman",
	/* 3C */ "crossover", "crucifix", "cumbersome", "customer",
	/* 40 */ "Dakota", "decadence", "December", "decimal",
	/* 44 */ "designing", "detector", "detergent", "determine",
	/* 48 */ "dictator", "dinosaur", "direction", "disable",
	/* 4C */ "disbelief", "disruptive", "distortion", "document",
	/* 50 */ "embezzle", "enchanting", "enrollment", "enterprise",
	/* 54 */ "equation", "equipment", "escapade", "Eskimo",
	/* 58 */ "everyday", "examine", "existence", "exodus",
	/* 5C */ "fascinate", "filament", "finicky", "forever",
	/* 60 */ "fortitude", "frequency", "gadgetry", "Galveston",
	/* 64 */ "getaway", "glossary", "gossamer", "graduate",
	/* 68 */ "gravity", "guitarist", "hamburger", "Hamilton",
	/* 6C */ "handiwork", "hazardous", "headwaters", "hemisphere",
	/* 70 */ "hesitate", "hideaway", "holiness", "hurricane",
	/* 74 */ "hydraulic", "impartial", "impetus", "inception",
	/* 78 */ "indigo", "inertia", "infancy", "inferno",
	/* 7C */ "informant", "insincere", "insurgent", "integrate",
	/* 80 */ "intention", "inventive", "Istanbul", "Jamaica",
	/* 84 */ "Jupiter", "leprosy", "letterhead", "liberty",
	/* 88 */ "maritime", "matchmaker", "maverick", "Medusa",
	/* 8C */ "megaton", "microscope", "microwave", "midsummer",
	/* 90 */ "millionaire", "miracle", "misnomer", "molasses",
	/* 94 */ "molecule", "Montana", "monument", "mosquito",
	/* 98 */ "narrative", "nebula", "newsletter", "Norwegian",
	/* 9C */ "October", "Ohio", "onlooker", "opulent",
	/* A0 */ "Orlando", "outfielder", "Pacific", "pandemic",
	/* A4 */ "Pandora", "paperweight", "paragon", "paragraph",
	/* A8 */ "paramount", "passenger", "pedigree", "Pegasus",
	/* AC */ "penetrate", "perceptive", "performance", "pharmacy",
	/* B0 */ "phonetic", "photograph", "pioneer", "pocketful",
	/* B4 */ "politeness", "positive", "potato", "processor",
	/* B8 */ "provincial", "proximate", "puberty", "publisher",
	/* BC */ "pyramid", "quantity", "racketeer", "rebellion",
	/* C0 */ "recipe", "recover", "repellent", "replica",
	/* C4 */ "reproduce", "resistor", "responsive", "retraction",
	/* C8 */ "retrieval", "retrospect", "revenue", "revival",
	/* CC */ "revolver", "sandalwood", "sardonic", "Saturday",
	/* D0 */ "savagery", "scavenger", "sensation", "sociable",
	/* D4 */ "souvenir", "specialist", "speculate", "stethoscope",
	/* D8 */ "stupendous", "supportive", "surrender", "suspicious",
	/* DC */ "sympathy", "tambourine", "telephone", "therapist",
	/* E0 */ "tobacco", "tolerance", "tomorrow", "torpedo",
	/* E4 */ "tradition", "travesty", "trombonist", "truncated",
	/* E8 */ "typewriter", "ultimate", "undaunted", "underfoot",
	/* EC */ "unicorn", "unify", "universe", "unravel",
	/* F0 */ "upcoming", "vacancy", "vagabond", "vertigo",
	/* F4 */ "Virginia", "visitor", "vocalist", "voyager",
	/* F8 */ "warranty", "Waterloo", "whimsical", "Wichita",
	/* FC */ "Wilmington", "Wyoming", "yesteryear", "Yucatan",
};

const char *
kc_pgpword(unsigned char b, int odd)
{
	return odd ? odd_words[b] : even_words[b];
}

int
kc_pgpwords(const unsigned char *data, size_t len, char *out, size_t outsz)
{
	size_t used = 0;

	if (outsz == 0)
		return kc_err(KC_ERR_USAGE, "no room for PGP words");
	out[0] = '\0';
	for (size_t i = 0; i < len; i++) {
		const char *w = kc_pgpword(data[i], (int)(i & 1));
		size_t wl = strlen(w) + (i > 0);
		if (used + wl + 1 > outsz)
			return kc_err(KC_ERR_USAGE, "no room for PGP words");
		snprintf(out + used, outsz - used, "%s%s", i > 0 ? " " : "",
		    w);
		used += wl;
	}
	return KC_OK;
}

static int
lookup(const char *w, size_t wl, int odd)
{
	const char *const *list = odd ? odd_words : even_words;

	for (int b = 0; b < 256; b++)
		if (strlen(list[b]) == wl && strncasecmp(list[b], w, wl) == 0)
			return b;
	return -1;
}

int
kc_pgpwords_decode(const char *words, unsigned char *out, size_t outsz,
    size_t *len)
{
	const char *p = words;
	size_t n = 0;

	*len = 0;
	for (;;) {
		size_t wl;
		int b;

		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' ||
		    *p == '-' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		for (wl = 0; isalpha((unsigned char)p[wl]); wl++)
			;
		if (wl == 0)
			return kc_err(KC_ERR_INPUT, "unexpected character '%c' "
			    "in the PGP words", *p);
		if ((b = lookup(p, wl, (int)(n & 1))) < 0) {
			if (lookup(p, wl, !(n & 1)) >= 0)
				return kc_err(KC_ERR_INPUT, "word %zu '%.*s' is "
				    "from the %s list: a word was left out, "
				    "doubled or swapped", n + 1, (int)wl, p,
				    (n & 1) ? "even (two-syllable)" :
				    "odd (three-syllable)");
			return kc_err(KC_ERR_INPUT, "word %zu '%.*s' is not a "
			    "PGP word", n + 1, (int)wl, p);
		}
		if (n >= outsz)
			return kc_err(KC_ERR_INPUT, "too many PGP words");
		out[n++] = (unsigned char)b;
		p += wl;
	}
	*len = n;
	return KC_OK;
}
