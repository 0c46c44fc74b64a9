"""Planner tools: validate, repair, edit, auto-partition, diff and version grid plans.

A plan is a :class:`gridgis.Layers` whose grid layer is the plan; every function
here returns a new plan and leaves its input untouched.
"""
