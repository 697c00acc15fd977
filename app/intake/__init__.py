"""Filing what people save into the Inbox: one entry at a time (entry.take), a form
(form.py) or evidence (evidence.py), refused ones to Quarantine (quarantine.py)."""
