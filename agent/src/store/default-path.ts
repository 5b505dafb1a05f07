// Where the history database lives unless --db names another file. Kept apart from db.ts so
// that the command line can name it without loading SQLite.
export const DEFAULT_DB = 'data/intransit.db';
