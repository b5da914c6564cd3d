"""Reading and writing files: format/encoding/delimiter sniffing, stdin spooling, atomic writes."""

from listclean.io.read import BadRow, ReadOptions, Source, Workspace, read_source
from listclean.io.write import OutputTarget, write_frame

__all__ = ["BadRow", "OutputTarget", "ReadOptions", "Source", "Workspace", "read_source", "write_frame"]
