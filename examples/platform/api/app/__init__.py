"""Example API of the slipway example platform."""
