export { devSessionsPlugin as default } from './plugin';
