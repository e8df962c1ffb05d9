// @ts-check

/**
 * The lifecycle: when each session was last used (links opened, API use, the workspace's
 * heartbeat), when its owner was told it will expire, and the hash of its heartbeat token (the
 * token itself lives only in a Secret of the session's namespace). And the orphans: namespaces
 * labelled as ours with no session, since when they were seen.
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('dev_sessions', table => {
    table
      .string('last_activity_at', 32)
      .nullable()
      .index()
      .comment('ISO time of the last use; idle stop and expiry count from it');
    table
      .string('expiry_notified_at', 32)
      .nullable()
      .comment('ISO time the owner was told of the coming expiry');
    table
      .string('activity_token_hash', 64)
      .nullable()
      .comment("SHA-256 of the session's heartbeat token");
  });
  // one token per session (SQLite adds a unique constraint only as an index of its own)
  await knex.schema.alterTable('dev_sessions', table => {
    table.unique(['activity_token_hash'], {
      indexName: 'dev_sessions_activity_token_hash_unique',
    });
  });
  // existing sessions were last used when they last changed
  await knex('dev_sessions').update({
    last_activity_at: knex.ref('updated_at'),
  });

  await knex.schema.createTable('dev_session_orphans', table => {
    table.comment(
      'Namespaces labelled as dev sessions with no session row, and since when',
    );
    table.string('namespace', 63).primary().notNullable();
    table.string('project_uuid', 64).nullable();
    table.string('releases', 1024).notNullable().comment('JSON array');
    table.string('first_seen_at', 32).notNullable();
    table.string('last_seen_at', 32).notNullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('dev_session_orphans');
  await knex.schema.alterTable('dev_sessions', table => {
    table.dropUnique(
      ['activity_token_hash'],
      'dev_sessions_activity_token_hash_unique',
    );
    table.dropIndex(['last_activity_at']);
    table.dropColumn('last_activity_at');
    table.dropColumn('expiry_notified_at');
    table.dropColumn('activity_token_hash');
  });
};
