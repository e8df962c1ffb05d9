// @ts-check

/**
 * The project's component (entity ref), so the session's catalog entity can be a dependencyOf it.
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('dev_sessions', table => {
    table.string('component_ref', 255).nullable();
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('dev_sessions', table => {
    table.dropColumn('component_ref');
  });
};
