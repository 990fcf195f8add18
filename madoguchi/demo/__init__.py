"""`madoguchi demo`: the whole appliance on one machine (central, sync agent, simulated card, PDF printer, kiosk)."""
