"""Training sentences for the goal head: how people say what they want a room to become, in words that often name
no condition. Written for iotlm (no benchmark's cases); ``{room}`` is filled with room names, and each core also
appears without a room. ``python -m iotlm.agent.llm.train_head`` turns them into the head's weights.
"""

from __future__ import annotations

CORES: dict[str, list[str]] = {
    "brighter": [
        "I keep squinting at my book in the {room}", "I can't read a thing in the {room}", "the {room} looks like a cave",
        "it's gloomy in the {room}", "it's pitch black in the {room}", "the {room} is so dim", "we need more light in the {room}",
        "I can hardly make out the page in the {room}", "it's getting dark in the {room}", "the {room} feels like a dungeon",
        "I tripped over something in the dark {room}", "it's hard to see what I'm cooking in the {room}",
        "the {room} is too murky", "I can't find my keys, it's so dark in the {room}", "it's like night time in the {room}",
        "my eyes are straining in the {room}", "the {room} could do with some light", "it's a bit shadowy in the {room}",
        "brighten up the {room} a bit", "light up the {room}", "can we have more light in the {room}",
        "I can't see my hands in front of me in the {room}", "it's really dull in the {room}", "the {room} is not bright enough",
        "the {room} is too dark to work in", "the sun went down and the {room} is dark", "I need to see better in the {room}",
        "open up the {room} to the sunshine", "it's too dark in the {room}", "can you brighten the {room}",
        "brighter please in the {room}", "make the {room} brighter", "the {room} needs to be brighter",
    ],
    "darker": [
        "the light hurts my eyes in the {room}", "the {room} is way too bright", "it's dazzling in the {room}",
        "the glare on the screen in the {room} is awful", "I'm trying to sleep and the {room} is too bright",
        "the sunshine is in my eyes in the {room}", "it's so bright I'm getting a headache in the {room}",
        "tone down the light in the {room}", "the {room} is too harsh", "make the {room} cosier and darker",
        "it's too glaring in the {room}", "the {room} is as bright as an operating theatre", "I can't see the tv for the sun in the {room}",
        "the sunlight is too strong in the {room}", "the baby can't sleep, the {room} is too light",
        "the {room} is too well lit for a nap", "less light in the {room} please", "the afternoon sun is baking the screen in the {room}",
        "the lights in the {room} are too intense", "the {room} is blinding", "I need it dimmer in the {room}",
        "shade the {room} from the sun", "I'd like it darker in the {room}", "the {room} is overlit",
        "the {room} is lit up like a christmas tree", "every lamp in the {room} is blazing", "it's floodlit in the {room}",
        "the {room} is lit up like a shop window", "it's as bright as midday in the {room}",
        "there's far too much light in the {room}", "the {room} glows like a lighthouse", "it's like a film set in the {room}",
        "make the {room} darker", "dim the {room} a little", "the {room} should be darker",
    ],
    "warmer": [
        "my toes are like ice cubes in the {room}", "brr, the {room} is icy", "the {room} feels like a fridge",
        "I'm freezing my socks off in the {room}", "I can see my breath in the {room}", "I need a jumper in the {room}",
        "the {room} is nippy", "it's chilly in the {room}", "it's cold in the {room}", "my hands are numb in the {room}",
        "the {room} is frosty", "heat up the {room}", "warm up the {room}", "the kids are cold in the {room}",
        "I've got goosebumps in the {room}", "it's like the arctic in the {room}", "the {room} is too cool",
        "I'm wrapped in a blanket and still cold in the {room}", "the {room} hasn't warmed up", "it's bitter in the {room}",
        "the {room} is not warm enough", "I'm cold", "my teeth are chattering in the {room}", "it's wintry in the {room}",
        "the {room} needs some heat", "it's draughty and cold in the {room}",
    ],
    "cooler": [
        "it feels like a greenhouse in the {room}", "I'm sweating buckets in the {room}", "I'm roasting in the {room}",
        "it's like an oven in the {room}", "the {room} is sweltering", "it's baking in the {room}", "the {room} is boiling",
        "I'm melting in the {room}", "it's way too hot in the {room}", "cool down the {room}", "the {room} is stifling",
        "I can't sleep, it's so warm in the {room}", "the {room} feels like a sauna", "the {room} is overheating",
        "it's tropical in the {room}", "I'm burning up in the {room}", "the {room} is too warm", "it's scorching in the {room}",
        "we need some cold air in the {room}", "the dog is panting in the {room}", "I'm hot", "the {room} is like a furnace",
        "it's uncomfortably warm in the {room}", "the heat in the {room} is unbearable", "the {room} is a hothouse",
    ],
    "fresher air": [
        "the whole {room} smells like last night's dinner", "it smells musty in the {room}", "the air in the {room} is stale",
        "it's stuffy in the {room}", "the {room} smells of socks", "it stinks in the {room}", "there's a funny smell in the {room}",
        "the {room} is airless", "I feel drowsy, the air is heavy in the {room}", "we need some fresh air in the {room}",
        "air out the {room}", "the {room} needs airing", "it smells of paint in the {room}", "the {room} is close and muggy with people",
        "there's no air in the {room}", "it smells like fish in the {room}", "the {room} reeks", "get rid of the smell in the {room}",
        "the air feels thick in the {room}", "it's oppressive in the {room}", "the {room} smells of burnt toast",
        "ventilate the {room}", "the co2 is high in the {room}", "I've got a headache from the stale air in the {room}",
    ],
    "cleaner air": [
        "there's a haze of dust in the {room}", "I sneeze every time I walk into the {room}", "my allergies are bad in the {room}",
        "it's dusty in the {room}", "there's smoke in the {room}", "the {room} is full of pollen", "my hay fever is awful in the {room}",
        "I can see particles floating in the {room}", "the air in the {room} is dirty", "clean the air in the {room}",
        "purify the air in the {room}", "the {room} is smoky", "the air quality is poor in the {room}", "I keep coughing in the {room}",
        "there's dog hair floating around in the {room}", "the {room} is full of dust after the building work",
        "my asthma is playing up in the {room}", "filter the air in the {room}", "the pm2.5 is high in the {room}",
        "the candle smoke is lingering in the {room}", "the wildfire smoke got into the {room}",
    ],
    "more humid": [
        "my lips are cracking in the {room}", "my skin feels parched in the {room}", "the air in the {room} is bone dry",
        "my throat is scratchy from the dry air in the {room}", "the {room} is too dry", "my eyes are dry in the {room}",
        "the plants are wilting in the dry {room}", "I keep getting static shocks in the {room}", "the {room} air feels like a desert",
        "I woke up with a dry nose in the {room}", "add some moisture to the {room}", "humidify the {room}",
        "the wooden floor is cracking, it's so dry in the {room}", "my sinuses hurt from the dry {room}",
        "the {room} needs more moisture", "the heating has dried out the {room}", "it's arid in the {room}",
    ],
    "less humid": [
        "the windows in the {room} are dripping with condensation", "the mirror is all fogged up in the {room}",
        "there's mould growing in the {room}", "the {room} is damp", "it's muggy in the {room}", "the {room} feels clammy",
        "the towels never dry in the {room}", "the {room} smells damp", "it's sticky and humid in the {room}",
        "the walls are wet in the {room}", "dry out the {room}", "the {room} is like a swamp", "there's moisture everywhere in the {room}",
        "the laundry won't dry in the {room}", "the {room} is steamy after the shower", "too much moisture in the {room}",
        "dehumidify the {room}", "my clothes feel damp in the {room}", "the {room} is soggy", "it's tropical and wet in the {room}",
    ],
    "louder": [
        "I can barely make out what they're saying on the show", "the tv is way too soft in the {room}",
"turn it up in the {room}", "pump up the music in the {room}",
        "the podcast is too faint in the {room}", "we can hardly hear the speaker in the {room}", "I'm missing the dialogue in the {room}",
        "it's too quiet to hear the news in the {room}", "crank the sound up in the {room}", "the music is too low in the {room}",
        "I need to hear the game in the {room}", "the sound is barely there in the {room}", "louder in the {room} please",
        "grandma can't hear the tv in the {room}",
    ],
    "quieter": [
        "the music is drowning out our conversation", "the neighbours can hear our music from the {room}",
        "the tv is blaring in the {room}", "the baby is sleeping, the {room} is too noisy", "turn it down in the {room}",
        "the sound is deafening in the {room}", "I can't think with all this noise in the {room}", "the speaker is too loud in the {room}",
        "keep it down in the {room}", "the film is way too loud in the {room}", "my ears hurt from the music in the {room}",
        "hush the {room}", "the volume is too high in the {room}", "less noise in the {room} please", "it's a racket in the {room}",
    ],
    "nothing": [
        "what a lovely day it is", "we need to order more milk", "remind me to call mum", "what's the weather tomorrow",
        "tell me a joke", "who won the match", "I'm going for a run", "the kids are at school", "thanks, that's all",
        "how are you today", "I love this song", "the cat is asleep on the sofa", "add eggs to the shopping list",
        "what time is it", "we have guests coming on saturday", "my sister is visiting", "the {room} was painted last year",
        "the {room} is my favourite room", "I'm reading a book in the {room}", "the {room} needs tidying", "we should redecorate the {room}",
        "the {room} has a nice view", "where did I leave my phone", "I'm cooking pasta tonight", "the package arrived",
        "never mind", "sorry, wrong button", "good job", "let me think about it", "the {room} is where I work",
        "I bought a new plant for the {room}", "the meeting starts at ten", "play it cool", "it's been a long week",
        "is the {room} on the first floor", "how many rooms do we have", "I'll be back in an hour", "book a table for two",
    ],
}

ROOMS = ["kitchen", "living room", "bedroom", "office", "bathroom", "hallway", "nursery", "study", "lounge", "den",
         "guest room", "utility room", "playroom", "basement", "attic", "dining room", "garage", "conservatory"]


def sentences() -> list[tuple[str, str]]:
    """(sentence, goal) pairs: every core with a few rooms, and without one."""
    out: list[tuple[str, str]] = []
    for goal, cores in CORES.items():
        for i, core in enumerate(cores):
            if "{room}" in core:
                for j in range(6):
                    out.append((core.format(room=ROOMS[(i * 5 + j * 3) % len(ROOMS)]), goal))
                bare = core.replace(" in the {room}", "").replace(" the {room}", " the room").replace("{room}", "room")
                out.append((bare, goal))
            else:
                out.append((core, goal))
    return out


__all__ = ["CORES", "ROOMS", "sentences"]
