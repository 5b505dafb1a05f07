#!/usr/bin/env python3
"""Minimal, protocol-correct STARTTLS servers for the sample captures.

    starttls_server.py PROTOCOL PORT CERT KEY [--no-offer]

PROTOCOL is smtp (RFC 5321 + RFC 3207 STARTTLS + RFC 4954 AUTH PLAIN/LOGIN), imap
(RFC 9051 STARTTLS), pop3 (RFC 1939 + RFC 2595 STLS) or ftp (RFC 959 + RFC 4217
AUTH TLS). The server listens on 127.0.0.1:PORT, prints "listening" once it does,
serves exactly one connection and exits. It speaks cleartext until the client's
upgrade command, answers it positively, runs the TLS handshake (python ssl, the
given certificate) and carries on with the same command loop inside TLS, closing
with close_notify when the client quits. --no-offer leaves STARTTLS out of the
capability lists (the command is still accepted).

Nothing here is meant for real mail or files: commands that would store or send
anything are acknowledged and forgotten.
"""

import base64
import socket
import ssl
import sys


class Conn:
    """Line I/O over a socket that can be wrapped in TLS mid-stream (no read-ahead is lost)."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b''

    def line(self):
        while b'\n' not in self.buf:
            data = self.sock.recv(4096)
            if not data:
                raise EOFError
            self.buf += data
        line, self.buf = self.buf.split(b'\n', 1)
        return line.rstrip(b'\r').decode('utf-8', 'replace')

    def send(self, *lines):
        self.sock.sendall(''.join(l + '\r\n' for l in lines).encode())

    def start_tls(self, ctx):
        # the client waits for the positive answer before its ClientHello: nothing may be buffered
        assert not self.buf, 'client pipelined data after the upgrade command'
        self.sock = ctx.wrap_socket(self.sock, server_side=True)

    def close(self):
        try:
            if isinstance(self.sock, ssl.SSLSocket):
                self.sock = self.sock.unwrap()
        except (OSError, ssl.SSLError):
            pass
        self.sock.close()


def smtp(c, ctx, offer):
    host = 'mail.intransit.test'
    c.send(f'220-{host} ESMTP intransit sample server', '220 ready')
    tls = False
    while True:
        cmd = c.line()
        verb, _, arg = cmd.partition(' ')
        verb = verb.upper()
        if verb in ('EHLO', 'LHLO'):
            keywords = ['PIPELINING', 'SIZE 10240000']
            if offer and not tls:
                keywords.append('STARTTLS')
            keywords += ['AUTH PLAIN LOGIN', '8BITMIME', 'SMTPUTF8']
            c.send(f'250-{host} greets {arg}', *[f'250-{k}' for k in keywords[:-1]], f'250 {keywords[-1]}')
        elif verb == 'HELO':
            c.send(f'250 {host}')
        elif verb == 'STARTTLS' and not tls:
            c.send('220 2.0.0 Ready to start TLS')
            c.start_tls(ctx)
            tls = True
        elif verb == 'AUTH':
            mech, _, initial = arg.partition(' ')
            mech = mech.upper()
            if mech == 'PLAIN':
                if not initial:
                    c.send('334 ')
                    initial = c.line()
                parts = base64.b64decode(initial).split(b'\0')
                ok = len(parts) == 3
            elif mech == 'LOGIN':
                if not initial:
                    c.send('334 VXNlcm5hbWU6')
                    initial = c.line()
                c.send('334 UGFzc3dvcmQ6')
                c.line()
                ok = bool(initial)
            else:
                c.send('504 5.5.4 Unrecognized authentication type')
                continue
            c.send('235 2.7.0 Authentication successful' if ok else '535 5.7.8 Authentication credentials invalid')
        elif verb in ('MAIL', 'RCPT', 'RSET', 'NOOP'):
            c.send('250 2.0.0 OK')
        elif verb == 'DATA':
            c.send('354 End data with <CR><LF>.<CR><LF>')
            while c.line() != '.':
                pass
            c.send('250 2.0.0 OK: queued (and forgotten)')
        elif verb == 'QUIT':
            c.send('221 2.0.0 Bye')
            return
        else:
            c.send('502 5.5.2 Error: command not recognized')


def imap(c, ctx, offer):
    caps = 'IMAP4rev1' + (' STARTTLS' if offer else '') + ' LOGINDISABLED'
    c.send(f'* OK [CAPABILITY {caps}] intransit sample IMAP server ready')
    tls = False
    while True:
        tag, _, rest = c.line().partition(' ')
        verb = rest.split(' ', 1)[0].upper()
        if verb == 'CAPABILITY':
            c.send(f'* CAPABILITY {"IMAP4rev1 AUTH=PLAIN" if tls else caps}', f'{tag} OK CAPABILITY completed')
        elif verb == 'STARTTLS' and not tls:
            c.send(f'{tag} OK Begin TLS negotiation now')
            c.start_tls(ctx)
            tls = True
        elif verb == 'NOOP':
            c.send(f'{tag} OK NOOP completed')
        elif verb == 'LOGOUT':
            c.send('* BYE intransit sample IMAP server logging out', f'{tag} OK LOGOUT completed')
            return
        else:
            c.send(f'{tag} BAD command unknown or arguments invalid')


def pop3(c, ctx, offer):
    c.send('+OK intransit sample POP3 server ready <4711.1700000000@pop.intransit.test>')
    tls = False
    while True:
        verb = c.line().split(' ', 1)[0].upper()
        if verb == 'CAPA':
            caps = ['USER', 'UIDL', 'TOP', 'SASL PLAIN'] + (['STLS'] if offer and not tls else [])
            c.send('+OK Capability list follows', *caps, '.')
        elif verb == 'STLS' and not tls:
            c.send('+OK Begin TLS negotiation now')
            c.start_tls(ctx)
            tls = True
        elif verb == 'NOOP':
            c.send('+OK')
        elif verb == 'QUIT':
            c.send('+OK intransit sample POP3 server signing off')
            return
        else:
            c.send('-ERR command not recognized')


def ftp(c, ctx, offer):
    c.send('220-intransit sample FTP server', '220 ready')
    tls = False
    while True:
        cmd = c.line()
        verb, _, arg = cmd.partition(' ')
        verb = verb.upper()
        if verb == 'FEAT':
            feats = (['AUTH TLS'] if offer else []) + ['PBSZ', 'PROT', 'UTF8', 'EPSV']
            c.send('211-Features:', *[f' {f}' for f in feats], '211 End')
        elif verb == 'AUTH' and arg.upper() in ('TLS', 'SSL', 'TLS-C') and not tls:
            c.send('234 AUTH TLS successful')
            c.start_tls(ctx)
            tls = True
        elif verb == 'USER':
            c.send('331 Please specify the password.')
        elif verb == 'PASS':
            c.send('230 Login successful.')
        elif verb in ('PBSZ', 'PROT', 'TYPE', 'OPTS'):
            c.send('200 OK')
        elif verb == 'SYST':
            c.send('215 UNIX Type: L8')
        elif verb == 'QUIT':
            c.send('221 Goodbye.')
            return
        else:
            c.send('502 Command not implemented.')


SERVERS = {'smtp': smtp, 'imap': imap, 'pop3': pop3, 'ftp': ftp}


def main():
    args = [a for a in sys.argv[1:] if not a.startswith('--')]
    if len(args) != 4 or args[0] not in SERVERS:
        sys.exit(__doc__)
    proto, port, cert, key = args[0], int(args[1]), args[2], args[3]
    offer = '--no-offer' not in sys.argv
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(('127.0.0.1', port))
    ls.listen(1)
    print('listening', flush=True)
    sock, _ = ls.accept()
    ls.close()
    c = Conn(sock)
    try:
        SERVERS[proto](c, ctx, offer)
    except EOFError:
        pass
    finally:
        c.close()


if __name__ == '__main__':
    main()
