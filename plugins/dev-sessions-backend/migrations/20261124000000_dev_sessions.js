// @ts-check

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('dev_sessions', table => {
    table.comment('One dev session per project');
    table.string('project_uuid', 36).primary().notNullable();
    table.string('project_id', 255).notNullable();
    table.string('owner', 255).notNullable().index();
    table.string('namespace', 63).notNullable();
    table.string('release_name', 53).notNullable();
    table.string('chart_version', 64).notNullable();
    table.string('size', 16).notNullable();
    table.string('state', 16).notNullable().index();
    table.text('last_error').nullable();
    table
      .text('values_json')
      .notNullable()
      .comment('Values given at creation (no secrets)');
    table.string('preview_url', 512).notNullable();
    table.string('preview_path', 255).notNullable();
    table.string('chat_url', 512).notNullable();
    table.string('chat_path', 255).notNullable();
    table.string('vscode_url', 512).notNullable();
    table.string('vscode_path', 255).notNullable();
    table.string('created_at', 32).notNullable();
    table.string('updated_at', 32).notNullable();
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('dev_sessions');
};
