export {
  DevSessionsPage,
  DevSessionsPageContent,
  DevSessionsTable,
} from './DevSessionsPage';
