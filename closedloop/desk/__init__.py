"""The packet desk: `closedloop office ROOT` builds closure packets for `closedloop packet`.

A command is a new Python process: before it does anything it loads the library (most
of a second) and WeasyPrint (another), and a packet built that way took four times what
it takes in a process that has them loaded. The office's process has them loaded, and
LibreOffice warm beside it, so the command hands it the job and only waits:

- wire.py: what goes over the socket, and its bounds;
- client.py: the command's side, light (click, the office's record, the socket);
- server.py: the office's side, which builds the packet as the command would (the same
  lock, the same library, the folder's language) and answers with what to print.

The desk listens on an abstract Unix socket, named at random in the office's record
(.closedloop/office.json), and serves only processes of its own user (or root), as the
kernel reports them (SO_PEERCRED); the command talks only to the process the record
names. Anything the desk cannot do, or a desk that is not there, and the command builds
the packet itself, as before.
"""
