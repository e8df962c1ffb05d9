export { DevSessionsHomeWidget } from './DevSessionsHomeWidget';
export { RoutedDevSessionsHomeWidget } from './RoutedHomeWidget';
