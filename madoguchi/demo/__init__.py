"""`madoguchi demo`: the whole appliance on one machine (central, sync agent, simulated card,
PDF printer, kiosk), driven through a resident's journey offscreen or in a window.

A tool (layer L2 of docs/architecture.md): it may use every package below it. Its only public
entry point is the command (`madoguchi.demo._cli.commands`); `_stack` starts the parts and
`_journey` drives the kiosk like a resident (`JourneyError`, a `KioskError`, when a step does not
come).
"""
