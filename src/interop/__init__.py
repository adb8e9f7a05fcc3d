"""interop: links the Pensiones para el Bienestar rolls with IMSS-Bienestar clinical care."""

__version__ = "0.1.0"
