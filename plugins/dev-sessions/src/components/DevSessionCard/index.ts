export { DevSessionCard } from './DevSessionCard';
