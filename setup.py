"""Packages for setuptools: everything under src/, plus the top-level migrations/ shipped inside the
package as ``interop.migrations`` (pyproject.toml maps the directory), so ``interop migrate`` works from an
installed wheel. The rest of the build configuration is in pyproject.toml."""

from setuptools import find_packages, setup

setup(packages=[*find_packages("src"), "interop.migrations", "interop.migrations.versions"])
