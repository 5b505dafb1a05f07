// Registers the parsers of the text-based cleartext protocols (SMTP, IMAP, POP3, FTP,
// XMPP, IRC, HTTP, telnet, Redis): importing each module registers it.
import './smtp/parser.js';
import './imap/parser.js';
import './pop3/parser.js';
import './ftp/parser.js';
import './xmpp/parser.js';
import './irc/parser.js';
import './http/parser.js';
import './telnet/parser.js';
import './redis/parser.js';
export {};
