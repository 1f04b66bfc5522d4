"""Data files the package ships: the Mpower Schedule TO amendment the demo records.

A package (not a bare folder) so that ``importlib.resources.files("offerledger.data")`` finds
the files in an installed wheel as in a source tree; ``pyproject.toml`` lists ``*.txt`` here as
package data.
"""
