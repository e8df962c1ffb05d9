// @ts-check

/**
 * The signed-in gateway's tokens: one-time tickets (Backstage's open route → a session's own
 * origin) and the sign-ins they become on that origin. Only SHA-256 hashes are stored, so the
 * table lets no one in; any replica can redeem what another issued.
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('dev_session_gateway_tokens', table => {
    table.comment(
      'Gateway tickets and sign-ins for one role of one session (hashes only)',
    );
    table.string('token_hash', 64).primary().notNullable();
    table.string('kind', 16).notNullable().comment('ticket or signin');
    table.string('project_uuid', 36).notNullable().index();
    table.string('role', 16).notNullable();
    table.string('user_ref', 255).notNullable();
    table
      .bigInteger('expires_at')
      .notNullable()
      .index()
      .comment('Epoch ms; the token is refused after it');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('dev_session_gateway_tokens');
};
