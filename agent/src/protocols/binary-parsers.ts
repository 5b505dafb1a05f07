// Registers the parsers of the binary cleartext protocols (PostgreSQL, MySQL, LDAP,
// RDP, SOCKS): importing each module registers it.
import './postgresql/parser.js';
import './mysql/parser.js';
import './ldap/parser.js';
import './rdp/parser.js';
import './socks/parser.js';
