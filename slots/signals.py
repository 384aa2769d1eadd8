from django.dispatch import Signal

# Sent (after commit) when a user's free or busy time changed; kwargs: user_ids.
# Auto-scheduling listens to it.
free_time_changed = Signal()
