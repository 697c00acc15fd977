"""The packet desk: `closedloop office ROOT` (and `closedloop watch ROOT`) builds closure
packets for `closedloop packet`.

A command is a new Python process: before it does anything it loads the library (most
of a second) and WeasyPrint (another), and a packet built that way took four times what
it takes in a process that has them loaded. The office's process has them loaded, and
LibreOffice warm beside it, so the command hands it the job and only waits:

- wire.py: what goes over the socket, and its bounds;
- client.py: the command's side, light (click, the office's record, the socket);
- server.py: the office's side, which builds the packet as the command would (the same
  lock, the same library, the folder's language) and answers with what to print.

- record.py: where `watch`'s desk is (.closedloop/desk.json).

The desk listens on an abstract Unix socket, named at random in a record (the office's
.closedloop/office.json, the service's .closedloop/desk.json), and serves only processes
of its own user (or root), as the kernel reports them (SO_PEERCRED); the command talks
only to the process the record names. The service's desk is asked first: `watch` holds
the folder's lock, which filing a packet needs, and has its worker file it
(watcher/desk_filing.py); the office's desk takes the lock as the command would. Anything
a desk cannot do, or no desk, and the command builds the packet itself, as before.
"""
