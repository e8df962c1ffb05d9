import { useRouteRef } from '@backstage/frontend-plugin-api';
import { devSessionsRootRouteRef } from '../../routes';
import { DevSessionsHomeWidget } from './DevSessionsHomeWidget';

/** The home widget in the new frontend system: "View all" leads to where the page is mounted. */
export function RoutedDevSessionsHomeWidget() {
  const pageRoute = useRouteRef(devSessionsRootRouteRef);
  return (
    <DevSessionsHomeWidget viewAllPath={pageRoute?.() ?? '/dev-sessions'} />
  );
}
