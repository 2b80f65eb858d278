"""The desktop app (PySide6 on a qasync event loop); the only package that imports Qt."""
