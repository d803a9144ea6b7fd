"""The consumer as a chain of small steps: decode → classify/sync → route → forward → commit."""
