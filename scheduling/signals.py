from django.dispatch import Signal

# Sent while an invite email is written, with ``interview`` and ``recipient``; a receiver may answer a
# line of text for that recipient (the candidate's scheduling link, for one).
invite_composing = Signal()
