#include "handshake/invite_words.h"

#include <algorithm>

namespace twofold::handshake {

namespace {

// Written for twofold (no outside source): 256 distinct English words of 3 to 8 letters,
// nouns that are easy to say and to hear, no two alike in sound, sorted so that
// a word's index is found by binary search.
constexpr std::array<std::string_view, kInviteWordCount> kWords = {
    "acorn",    "acrobat",  "adult",   "agent",   "alarm",   "album",   "amber",    "angel",   "apple",   "apron",
    "arrow",    "atlas",    "attic",   "autumn",  "baker",   "bamboo",  "banjo",    "barrel",  "basket",  "beach",
    "beacon",   "beaver",   "bedrock", "bells",   "berry",   "bicycle", "biscuit",  "bishop",  "blanket", "blossom",
    "border",   "bottle",   "bounty",  "bracket", "breeze",  "bridge",  "brook",    "bubble",  "bucket",  "buffalo",
    "bugle",    "butter",   "button",  "cabin",   "cactus",  "camel",   "candle",   "canoe",   "canyon",  "carpet",
    "castle",   "cedar",    "cello",   "chalk",   "cherry",  "chess",   "cider",    "circus",  "citrus",  "clover",
    "cobalt",   "coconut",  "comet",   "copper",  "coral",   "cotton",  "cowboy",   "crayon",  "cricket", "crystal",
    "cupboard", "dagger",   "daisy",   "dancer",  "denim",   "desert",  "diamond",  "dinner",  "doctor",  "dolphin",
    "donkey",   "dragon",   "eagle",   "easel",   "echo",    "elbow",   "ember",    "engine",  "falcon",  "feather",
    "fiddle",   "finch",    "flannel", "flute",   "forest",  "fossil",  "fountain", "fox",     "galaxy",  "garden",
    "garlic",   "gazelle",  "ginger",  "glacier", "goblet",  "gopher",  "granite",  "gravel",  "guitar",  "hammer",
    "harbor",   "harvest",  "hazel",   "helmet",  "hermit",  "honey",   "hopper",   "igloo",   "island",  "ivory",
    "jacket",   "jaguar",   "jasmine", "jelly",   "jersey",  "jigsaw",  "jungle",   "kayak",   "kernel",  "kettle",
    "kitten",   "koala",    "ladder",  "lagoon",  "lantern", "laptop",  "lemon",    "leopard", "lily",    "lizard",
    "lobster",  "locket",   "lotus",   "magnet",  "mango",   "maple",   "marble",   "meadow",  "melon",   "meteor",
    "mirror",   "mitten",   "monkey",  "mosaic",  "muffin",  "mustard", "napkin",   "nectar",  "noodle",  "nutmeg",
    "oasis",    "ocean",    "olive",   "onion",   "orbit",   "orchard", "otter",    "oyster",  "paddle",  "panda",
    "parrot",   "peanut",   "pebble",  "pelican", "pepper",  "piano",   "pillow",   "pilot",   "pioneer", "planet",
    "plum",     "pocket",   "pony",    "poppy",   "potato",  "pumpkin", "puzzle",   "quartz",  "quiver",  "rabbit",
    "radar",    "radish",   "raven",   "ribbon",  "river",   "robot",   "rocket",   "rodeo",   "saddle",  "salmon",
    "sandal",   "sapphire", "satin",   "saucer",  "scarf",   "seagull", "shadow",   "sherbet", "sherpa",  "shovel",
    "silver",   "skipper",  "sparrow", "spider",  "spinach", "sponge",  "squirrel", "stable",  "statue",  "summer",
    "sunset",   "swallow",  "tablet",  "tango",   "teapot",  "temple",  "thimble",  "thunder", "ticket",  "tiger",
    "timber",   "toaster",  "tomato",  "topaz",   "tractor", "trumpet", "tulip",    "tunnel",  "turtle",  "umbrella",
    "unicorn",  "valley",   "velvet",  "violin",  "volcano", "wagon",   "walnut",   "walrus",  "whistle", "willow",
    "window",   "winter",   "wizard",  "yogurt",  "zebra",   "zipper",
};

}  // namespace

const std::array<std::string_view, kInviteWordCount>& invite_words() noexcept { return kWords; }

std::optional<std::uint8_t> invite_word_index(std::string_view word) noexcept {
    const auto it = std::lower_bound(kWords.begin(), kWords.end(), word);
    if (it == kWords.end() || *it != word) return std::nullopt;
    return static_cast<std::uint8_t>(it - kWords.begin());
}

}  // namespace twofold::handshake
