"""Hardware behind small interfaces: card reader (pyscard), printer (pycups), fonts. Never imports kiosk/."""
