"""Meetings booked in the chat: reps' free slots, the bookings table, invitations and signed links."""
