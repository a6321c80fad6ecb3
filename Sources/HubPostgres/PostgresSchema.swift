/// The PostgreSQL schema, as numbered migrations applied in order (`HubPostgresDatabase.migrate`).
/// A migration once released is never edited: a change is a new migration.
///
/// It holds what SQLite's holds (`HubDatabase.migrator`), in PostgreSQL's terms: timestamps are
/// `TIMESTAMPTZ`, tags `TEXT[]`, a note's operations `BYTEA` (the same JSON), 64-bit clocks and
/// digests `BIGINT` with their bits kept, and search a weighted `tsvector` beside each row instead
/// of an FTS5 table.
enum PostgresSchema {
    struct Migration: Sendable {
        var version: Int
        var name: String
        var statements: [String]
    }

    static let migrations: [Migration] = [
        Migration(version: 1, name: "hub settings", statements: [
            "CREATE TABLE hub_setting (name TEXT PRIMARY KEY, value TEXT NOT NULL)"
        ]),
        Migration(version: 2, name: "videos, uploads, accounts, notes, analytics, sync log, peers", statements: [
            // Search folds diacritics ("cafe" finds "café") and does not stem, as SQLite's
            // `unicode61 remove_diacritics` tokenizer does: `simple` with `unaccent` in front.
            // unaccent is a trusted extension, so the database's owner may create it.
            "CREATE EXTENSION IF NOT EXISTS unaccent",
            "CREATE TEXT SEARCH CONFIGURATION hub_search (COPY = pg_catalog.simple)",
            """
            ALTER TEXT SEARCH CONFIGURATION hub_search
                ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part WITH unaccent, simple
            """,
            // PostgreSQL's parser reads an e-mail address, a host name or a path as one token
            // ("bob@example.com"), and skips what looks like an HTML tag, up to the end of the
            // text when the tag is never closed; FTS5 reads words ("bob", "example", "com") and
            // nothing else. With all punctuation made spaces first, both find a note by any word
            // in it.
            """
            CREATE FUNCTION hub_search_words(text TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE PARALLEL SAFE
                AS $$ SELECT regexp_replace(text, '[[:punct:]]+', ' ', 'g') $$
            """,
            """
            CREATE TABLE video (
                id TEXT PRIMARY KEY,
                title TEXT NOT NULL,
                description TEXT NOT NULL,
                tags TEXT[] NOT NULL,
                original_filename TEXT NOT NULL,
                content_type TEXT NOT NULL,
                size_bytes BIGINT NOT NULL,
                sha256 TEXT NOT NULL,
                storage_key TEXT NOT NULL,
                thumbnail_key TEXT,
                duration_seconds DOUBLE PRECISION,
                width BIGINT,
                height BIGINT,
                video_codec TEXT,
                audio_codec TEXT,
                created_at TIMESTAMPTZ NOT NULL,
                updated_at TIMESTAMPTZ NOT NULL,
                owner_id TEXT,
                shared BOOLEAN NOT NULL DEFAULT false,
                search TSVECTOR NOT NULL DEFAULT ''
            )
            """,
            // `search` is kept by a trigger, so every writer (a hub, `database migrate`, an
            // operator's UPDATE) keeps it true, in the statement that changes the row.
            """
            CREATE FUNCTION video_search() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                NEW.search := to_tsvector('hub_search', hub_search_words(NEW.title))
                    || to_tsvector('hub_search', hub_search_words(NEW.description))
                    || to_tsvector('hub_search', hub_search_words(array_to_string(NEW.tags, ' ')));
                RETURN NEW;
            END $$
            """,
            """
            CREATE TRIGGER video_search BEFORE INSERT OR UPDATE OF title, description, tags ON video
                FOR EACH ROW EXECUTE FUNCTION video_search()
            """,
            "CREATE INDEX video_created_at ON video (created_at DESC, id)",
            "CREATE INDEX video_owner_id ON video (owner_id)",
            "CREATE INDEX video_search ON video USING GIN (search)",
            """
            CREATE TABLE upload (
                id TEXT PRIMARY KEY,
                length BIGINT NOT NULL,
                "offset" BIGINT NOT NULL,
                metadata JSONB NOT NULL,
                created_at TIMESTAMPTZ NOT NULL,
                expires_at TIMESTAMPTZ NOT NULL,
                video_id TEXT,
                owner_id TEXT
            )
            """,
            "CREATE INDEX upload_expires_at ON upload (expires_at) WHERE video_id IS NULL",
            """
            CREATE TABLE hub_user (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                role TEXT NOT NULL,
                password_hash TEXT NOT NULL,
                is_disabled BOOLEAN NOT NULL DEFAULT false,
                session_generation BIGINT NOT NULL DEFAULT 0,
                created_at TIMESTAMPTZ NOT NULL
            )
            """,
            """
            CREATE TABLE api_token (
                id TEXT PRIMARY KEY,
                user_id TEXT NOT NULL REFERENCES hub_user (id) ON DELETE CASCADE,
                label TEXT NOT NULL,
                secret_hash TEXT NOT NULL UNIQUE,
                created_at TIMESTAMPTZ NOT NULL,
                last_used_at TIMESTAMPTZ
            )
            """,
            "CREATE INDEX api_token_user_id ON api_token (user_id)",
            """
            CREATE TABLE invitation (
                code_hash TEXT PRIMARY KEY,
                role TEXT NOT NULL,
                created_by TEXT NOT NULL,
                expires_at TIMESTAMPTZ NOT NULL
            )
            """,
            // `seq` orders notes by creation as SQLite's rowid does: search ranks only the newest
            // matches of a very common word. Ids compare bytewise (`COLLATE "C"`), as in SQLite,
            // so a listing paged by id reads the same whatever the database's locale.
            """
            CREATE TABLE note (
                id TEXT COLLATE "C" PRIMARY KEY,
                seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
                title TEXT NOT NULL,
                content TEXT NOT NULL,
                tags TEXT[] NOT NULL,
                owner_id TEXT,
                author TEXT NOT NULL,
                last_editor TEXT NOT NULL,
                shared BOOLEAN NOT NULL,
                video_id TEXT,
                version BIGINT NOT NULL,
                created_at TIMESTAMPTZ NOT NULL,
                updated_at TIMESTAMPTZ NOT NULL,
                deleted_at TIMESTAMPTZ,
                home_node TEXT,
                published BOOLEAN NOT NULL DEFAULT false,
                sync_digest BIGINT NOT NULL DEFAULT 0,
                private_digest BIGINT NOT NULL DEFAULT 0,
                search TSVECTOR NOT NULL DEFAULT ''
            )
            """,
            // Title matches count most, then tags, then content (weights A, B, C; SQLite's bm25
            // weighs them 10, 4, 1). A tsvector holds at most 1 MB, so only a note's first
            // 256 KiB of content is indexed: room for every distinct word of that text, while a
            // note may be far larger (`NOTE_MAX_BYTES`). Re-tokenised only when the text changes,
            // not when a save changes sharing or the trash.
            """
            CREATE FUNCTION note_search() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'INSERT' OR NEW.title IS DISTINCT FROM OLD.title OR NEW.tags IS DISTINCT FROM OLD.tags
                    OR NEW.content IS DISTINCT FROM OLD.content THEN
                    NEW.search := setweight(to_tsvector('hub_search', hub_search_words(NEW.title)), 'A')
                        || setweight(to_tsvector('hub_search', hub_search_words(array_to_string(NEW.tags, ' '))), 'B')
                        || setweight(to_tsvector('hub_search', hub_search_words(left(NEW.content, 262144))), 'C');
                END IF;
                RETURN NEW;
            END $$
            """,
            """
            CREATE TRIGGER note_search BEFORE INSERT OR UPDATE ON note
                FOR EACH ROW EXECUTE FUNCTION note_search()
            """,
            "CREATE INDEX note_updated_at ON note (updated_at DESC, id)",
            "CREATE INDEX note_owner_id ON note (owner_id)",
            "CREATE INDEX note_video_id ON note (video_id)",
            "CREATE INDEX note_deleted_at ON note (deleted_at)",
            "CREATE INDEX note_published ON note (published) WHERE published",
            "CREATE INDEX note_search ON note USING GIN (search)",
            """
            CREATE TABLE note_change (
                note_id TEXT COLLATE "C" NOT NULL REFERENCES note (id) ON DELETE CASCADE,
                version BIGINT NOT NULL,
                node TEXT NOT NULL,
                clock BIGINT NOT NULL,
                author TEXT NOT NULL,
                summary TEXT NOT NULL,
                operations BYTEA NOT NULL,
                recorded_at TIMESTAMPTZ NOT NULL,
                PRIMARY KEY (note_id, version),
                UNIQUE (note_id, node, clock)
            )
            """,
            "CREATE INDEX note_change_recorded_at ON note_change (recorded_at)",
            """
            CREATE TABLE note_tag (
                note_id TEXT COLLATE "C" NOT NULL REFERENCES note (id) ON DELETE CASCADE,
                tag TEXT NOT NULL,
                PRIMARY KEY (note_id, tag)
            )
            """,
            "CREATE INDEX note_tag_tag ON note_tag (tag)",
            """
            CREATE TABLE note_event (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                kind TEXT NOT NULL,
                note_id TEXT,
                user_id TEXT,
                query TEXT,
                results BIGINT,
                at TIMESTAMPTZ NOT NULL
            )
            """,
            "CREATE INDEX note_event_note_id ON note_event (note_id)",
            "CREATE INDEX note_event_at ON note_event (at)",
            """
            CREATE TABLE sync_log (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                at TIMESTAMPTZ NOT NULL,
                event TEXT NOT NULL,
                peer TEXT,
                note_id TEXT,
                version BIGINT,
                node TEXT,
                author TEXT,
                notes BIGINT,
                changes BIGINT,
                summary TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE peer (
                address TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                added_at TIMESTAMPTZ NOT NULL
            )
            """,
        ]),
        Migration(version: 3, name: "sign-in failures counted across instances", statements: [
            "CREATE TABLE sign_in_failure (key TEXT NOT NULL, at TIMESTAMPTZ NOT NULL)",
            "CREATE INDEX sign_in_failure_key_at ON sign_in_failure (key, at)",
            "CREATE INDEX sign_in_failure_at ON sign_in_failure (at)",
        ]),
        Migration(version: 4, name: "upload bytes in the object store", statements: [
            "ALTER TABLE upload ADD COLUMN multipart_upload_id TEXT",
        ]),
        Migration(version: 5, name: "shared video catalogue", statements: [
            """
            CREATE TABLE catalogue_entry (
                video_id TEXT PRIMARY KEY,
                origin TEXT NOT NULL,
                listed BOOLEAN NOT NULL,
                created_at TIMESTAMPTZ NOT NULL,
                digest BIGINT NOT NULL,
                search_text TEXT NOT NULL,
                entry TEXT NOT NULL
            )
            """,
            "CREATE INDEX catalogue_entry_listed ON catalogue_entry (listed, created_at)",
        ]),
        Migration(version: 6, name: "processing queue", statements: [
            "ALTER TABLE video ADD COLUMN status TEXT NOT NULL DEFAULT 'ready'",
            "ALTER TABLE video ADD COLUMN progress DOUBLE PRECISION",
            "ALTER TABLE video ADD COLUMN failure TEXT",
            "ALTER TABLE video ADD COLUMN renditions TEXT NOT NULL DEFAULT '[]'",
            "ALTER TABLE video ADD COLUMN previews TEXT",
            "ALTER TABLE video ADD COLUMN captions TEXT NOT NULL DEFAULT '[]'",
            """
            CREATE TABLE media_job (
                video_id TEXT NOT NULL REFERENCES video (id) ON DELETE CASCADE,
                kind TEXT NOT NULL,
                state TEXT NOT NULL,
                attempts BIGINT NOT NULL,
                run_after TIMESTAMPTZ NOT NULL,
                claimed_by TEXT,
                claimed_until TIMESTAMPTZ,
                last_error TEXT,
                created_at TIMESTAMPTZ NOT NULL,
                PRIMARY KEY (video_id, kind)
            )
            """,
            "CREATE INDEX media_job_due ON media_job (state, run_after)",
        ]),
        Migration(version: 7, name: "caption search", statements: [
            // One row per cue of every attached captions track, for search only (the track
            // itself is a WebVTT object), its words indexed as the videos' are.
            """
            CREATE TABLE caption_cue (
                video_id TEXT NOT NULL REFERENCES video (id) ON DELETE CASCADE,
                language TEXT NOT NULL,
                position BIGINT NOT NULL,
                start_milliseconds BIGINT NOT NULL,
                text TEXT NOT NULL,
                search TSVECTOR GENERATED ALWAYS AS (to_tsvector('hub_search', hub_search_words(text))) STORED,
                PRIMARY KEY (video_id, language, position)
            )
            """,
            "CREATE INDEX caption_cue_video ON caption_cue (video_id, language, start_milliseconds)",
            "CREATE INDEX caption_cue_search ON caption_cue USING GIN (search)",
        ]),
        Migration(version: 8, name: "traffic by day", statements: [
            // Bytes in and out per UTC day (`yyyy-MM-dd`), for the storage report; every
            // instance adds to the same rows.
            """
            CREATE TABLE traffic_day (
                day TEXT PRIMARY KEY,
                uploaded_bytes BIGINT NOT NULL,
                streamed_bytes BIGINT NOT NULL,
                peer_sent_bytes BIGINT NOT NULL
            )
            """,
        ]),
    ]
}
