"""The rep console: reps sign in, see live conversations, take one over from the bot and hand it back."""
