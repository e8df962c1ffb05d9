// @ts-check

const ROLES = ['preview', 'chat', 'vscode'];

/**
 * Roles become data: the six per-role URL/path columns become one JSON column keyed by role
 * (existing rows keep their links). And the durable jobs: one row per project while Helm work
 * (provision, delete) is pending or running, leased by the replica that runs it.
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('dev_sessions', table => {
    table.text('endpoints_json').nullable();
  });
  const rows = await knex('dev_sessions').select();
  for (const row of rows) {
    /** @type {Record<string, {url: string, path: string}>} */
    const endpoints = {};
    for (const role of ROLES) {
      endpoints[role] = { url: row[`${role}_url`], path: row[`${role}_path`] };
    }
    await knex('dev_sessions')
      .where({ project_uuid: row.project_uuid })
      .update({ endpoints_json: JSON.stringify(endpoints) });
  }
  await knex.schema.alterTable('dev_sessions', table => {
    for (const role of ROLES) {
      table.dropColumn(`${role}_url`);
      table.dropColumn(`${role}_path`);
    }
  });

  await knex.schema.createTable('dev_session_jobs', table => {
    table.comment(
      'Pending or running Helm work of a session, leased by one replica',
    );
    table.string('project_uuid', 36).primary().notNullable();
    table.string('kind', 16).notNullable().comment('provision or delete');
    table
      .integer('generation')
      .notNullable()
      .defaultTo(0)
      .comment(
        'Bumped on every request; a runner completes only the generation it ran',
      );
    table.string('owner', 255).nullable().comment('Replica holding the lease');
    table
      .bigInteger('lease_expires_at')
      .notNullable()
      .defaultTo(0)
      .index()
      .comment('Epoch ms; after it any replica may claim the job');
    table.integer('attempts').notNullable().defaultTo(0);
    table
      .integer('timeout_seconds')
      .notNullable()
      .comment('Helm timeout of the request that asked for this work');
    table.string('created_at', 32).notNullable();
    table.string('updated_at', 32).notNullable();
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('dev_session_jobs');
  await knex.schema.alterTable('dev_sessions', table => {
    for (const role of ROLES) {
      table.string(`${role}_url`, 512).nullable();
      table.string(`${role}_path`, 255).nullable();
    }
  });
  const rows = await knex('dev_sessions').select();
  for (const row of rows) {
    const endpoints = JSON.parse(row.endpoints_json ?? '{}');
    /** @type {Record<string, string>} */
    const patch = {};
    for (const role of ROLES) {
      patch[`${role}_url`] = endpoints[role]?.url ?? '';
      patch[`${role}_path`] = endpoints[role]?.path ?? '';
    }
    await knex('dev_sessions')
      .where({ project_uuid: row.project_uuid })
      .update(patch);
  }
  await knex.schema.alterTable('dev_sessions', table => {
    table.dropColumn('endpoints_json');
  });
};
