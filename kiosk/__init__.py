"""The resident's touch UI (Kivy screens, thin) on top of plain-Python session logic."""
