"""A simulated My Number card that sits behind the real pcscd, through vpcd.

`VirtualCardLink(MyNumberCardSim(load_profile("ordinary")), port=rig.vpcd_port).insert()` puts a
card in the virtual reader; `remove()` pulls it. Profiles are TOML files (bundled ones in
`profiles/`); their JPKI keys and certificates come from a test CA (`make_test_ca`). Test and demo
use only: the test CA's keys are not protected.
"""

from devices.card.simulator.ca import (
    CardCredentials,
    TestCA,
    default_test_ca,
    issue_card_credentials,
    make_test_ca,
)
from devices.card.simulator.card import MyNumberCardSim
from devices.card.simulator.profile import CardProfile, ProfileError, bundled_profiles, load_profile
from devices.card.simulator.session import SimulatedCard
from devices.card.simulator.vpcd import CardBehaviour, VirtualCardLink

__all__ = [
    "CardBehaviour",
    "CardCredentials",
    "CardProfile",
    "MyNumberCardSim",
    "ProfileError",
    "SimulatedCard",
    "TestCA",
    "VirtualCardLink",
    "bundled_profiles",
    "default_test_ca",
    "issue_card_credentials",
    "load_profile",
    "make_test_ca",
]
