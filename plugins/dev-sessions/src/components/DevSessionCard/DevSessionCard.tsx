import { InfoCard } from '@backstage/core-components';
import { useEntity } from '@backstage/plugin-catalog-react';
import { ANNOTATION_DEV_SESSION_PROJECT_UUID } from '@internal/backstage-plugin-dev-sessions-common';
import Typography from '@material-ui/core/Typography';

/** The dev session card for an entity carrying the project-UUID annotation. */
export const DevSessionCard = () => {
  const { entity } = useEntity();
  const projectUuid =
    entity.metadata.annotations?.[ANNOTATION_DEV_SESSION_PROJECT_UUID];
  return (
    <InfoCard title="Dev session">
      {projectUuid ? (
        <Typography variant="body2">Project {projectUuid}</Typography>
      ) : (
        <Typography variant="body2">
          This entity has no {ANNOTATION_DEV_SESSION_PROJECT_UUID} annotation.
        </Typography>
      )}
    </InfoCard>
  );
};
