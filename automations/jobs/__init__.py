"""Jobs said in chat, read into one-shot rules: when (``reader``: "in 20 minutes", "at half past nine", "every day at
7"), anchored to another event (``anchors``: "after the dishwasher finishes", "N minutes before X finishes"), aligned
finishes (``align``: "so both finish together"), and the draft a request becomes before it is a rule (``drafts``).
The command words are read by the agent's parser, passed in; nothing here imports the agent."""
