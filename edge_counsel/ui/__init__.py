"""The desktop interface (PySide6). Only this package imports QtWidgets."""

__all__ = ["MainWindow"]


def __getattr__(name):
    if name == "MainWindow":
        from .main_window import MainWindow
        return MainWindow
    raise AttributeError(name)
