import {
  Content,
  EmptyState,
  Header,
  Link,
  LinkButton,
  Page,
  Table,
  TableColumn,
  WarningPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import {
  EntityRefLink,
  useEntityRefLink,
} from '@backstage/plugin-catalog-react';
import {
  DEV_SESSION_ROLES,
  DEV_SESSION_STATES,
  DevSession,
  DevSessionListPage,
  devSessionEntityRef,
  DevSessionState,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import ButtonGroup from '@material-ui/core/ButtonGroup';
import Chip from '@material-ui/core/Chip';
import IconButton from '@material-ui/core/IconButton';
import InputAdornment from '@material-ui/core/InputAdornment';
import TextField from '@material-ui/core/TextField';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import RefreshIcon from '@material-ui/icons/Refresh';
import SearchIcon from '@material-ui/icons/Search';
import { useCallback, useEffect, useMemo, useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import useDebounce from 'react-use/esm/useDebounce';
import { devSessionsApiRef } from '../../api';
import { ROLE_LABEL } from '../DevSessionCard/helpers';
import { safeHttpUrl } from '../DevSessionCard/hints';
import { RunControls } from '../DevSessionCard/RunControls';
import { StateBadge } from '../DevSessionCard/StateBadge';
import { useLinkCookie } from '../DevSessionCard/useLinkCookie';
import { fullTime, relativeTime } from './time';

/** The "Dev session" software template, which creates a session. */
export const DEV_SESSION_TEMPLATE_PATH =
  '/create/templates/default/dev-session';
/** Rows per page the table offers; the first is the default. */
export const PAGE_SIZES = [25, 50, 100];
/** How long the search box waits after the last key before it asks the backend. */
export const SEARCH_DEBOUNCE_MS = 300;

/** A time relative to now, with the full date in its tooltip. */
function When({ iso, prefix }: { iso?: string; prefix?: string }) {
  const text = relativeTime(iso);
  if (!text) return null;
  return (
    <Tooltip title={fullTime(iso) ?? ''}>
      <span>
        {prefix}
        {prefix ? ' ' : ''}
        {text}
      </span>
    </Tooltip>
  );
}

/** The three open-route links of a session: enabled once it is ready and signed in. */
function Links({
  session,
  signedIn,
}: {
  session: DevSession;
  signedIn: boolean;
}) {
  return (
    <Box display="flex" style={{ gap: 4 }}>
      {DEV_SESSION_ROLES.map(role => {
        const url = safeHttpUrl(session.endpoints?.[role]?.url);
        const label = ROLE_LABEL[role];
        return url && session.state === 'ready' && signedIn ? (
          <Button
            key={role}
            size="small"
            color="primary"
            href={url}
            target="_blank"
            rel="noopener noreferrer"
            aria-label={`${label} of ${session.projectId}`}
            style={{ whiteSpace: 'nowrap' }}
          >
            {label}
          </Button>
        ) : (
          <Button
            key={role}
            size="small"
            disabled
            aria-label={`${label} of ${session.projectId}`}
            style={{ whiteSpace: 'nowrap' }}
          >
            {label}
          </Button>
        );
      })}
    </Box>
  );
}

/** The project's name, linked to its dev-session entity page, and its UUID. */
function ProjectCell({ session }: { session: DevSession }) {
  const entityRoute = useEntityRefLink();
  const ref =
    session.entityRef ??
    devSessionEntityRef(session.projectId, session.projectUuid);
  return (
    <>
      <Link to={entityRoute(ref)}>{session.projectId}</Link>
      <Typography
        variant="caption"
        color="textSecondary"
        component="div"
        style={{ fontFamily: 'monospace' }}
        title={session.projectUuid}
      >
        {session.projectUuid.slice(0, 8)}…
      </Typography>
    </>
  );
}

/**
 * The dev sessions table: the caller's own ("Mine") or all they may read, filtered by state
 * and searched on the backend, one page at a time (25, 50 or 100 rows), newest first, with
 * each session's links and its Stop / Start / Retry / Delete controls.
 * @public
 */
export function DevSessionsTable() {
  const api = useApi(devSessionsApiRef);
  const [mine, setMine] = useState(true);
  const [states, setStates] = useState<DevSessionState[]>([]);
  const [searchText, setSearchText] = useState('');
  const [search, setSearch] = useState('');
  const [page, setPage] = useState(0);
  const [pageSize, setPageSize] = useState(PAGE_SIZES[0]);
  const [last, setLast] = useState<DevSessionListPage | undefined>();

  useDebounce(
    () => {
      const next = searchText.trim();
      if (next === search) return;
      setSearch(next);
      setPage(0);
    },
    SEARCH_DEBOUNCE_MS,
    [searchText],
  );

  const result = useAsyncRetry(
    () =>
      api.listPage({
        mine,
        states,
        search: search || undefined,
        offset: page * pageSize,
        limit: pageSize,
      }),
    [api, mine, states, search, page, pageSize],
  );
  const { retry } = result;
  // the last page stays on screen while the next one loads
  useEffect(() => {
    if (result.value) setLast(result.value);
  }, [result.value]);
  // a page emptied by deletes: go back to the last page that has rows
  useEffect(() => {
    const v = result.value;
    if (v && v.items.length === 0 && v.totalCount > 0 && page > 0)
      setPage(Math.max(0, Math.ceil(v.totalCount / pageSize) - 1));
  }, [result.value, page, pageSize]);

  const shown = result.value ?? last;
  const signedIn = useLinkCookie(
    Boolean(shown?.items.some(s => s.state === 'ready')),
  );
  const reload = useCallback(() => retry(), [retry]);

  const toggleState = (state: DevSessionState) => {
    setPage(0);
    setStates(prev =>
      prev.includes(state) ? prev.filter(s => s !== state) : [...prev, state],
    );
  };
  const chooseMine = (value: boolean) => {
    setPage(0);
    setMine(value);
  };

  const columns = useMemo<TableColumn<DevSession>[]>(
    () => [
      {
        title: 'Project',
        field: 'projectId',
        render: s => <ProjectCell session={s} />,
      },
      {
        title: 'State',
        field: 'state',
        render: s => (
          <Tooltip title={s.lastError ?? ''}>
            <span>
              <StateBadge state={s.state} />
            </span>
          </Tooltip>
        ),
      },
      { title: 'Size', field: 'size' },
      {
        title: 'Owner',
        field: 'owner',
        render: s => <EntityRefLink entityRef={s.owner} />,
      },
      {
        title: 'Created',
        field: 'createdAt',
        render: s => <When iso={s.createdAt} />,
      },
      {
        title: 'Last used / expires',
        field: 'lastActivityAt',
        render: s => (
          <>
            <div>
              <When iso={s.lastActivityAt} prefix="used" />
            </div>
            {s.expiresAt && (
              <Typography variant="caption" color="textSecondary">
                <When iso={s.expiresAt} prefix="expires" />
              </Typography>
            )}
          </>
        ),
      },
      {
        title: 'Links',
        field: 'endpoints',
        render: s => <Links session={s} signedIn={signedIn} />,
      },
      {
        title: 'Actions',
        field: 'projectUuid',
        render: s => <RunControls session={s} onChange={reload} />,
      },
    ],
    [signedIn, reload],
  );

  const filtered = states.length > 0 || search !== '';
  const empty = shown !== undefined && shown.totalCount === 0 && !filtered;

  return (
    <>
      <Box
        display="flex"
        flexWrap="wrap"
        alignItems="center"
        mb={2}
        style={{ gap: 12 }}
      >
        <ButtonGroup size="small" aria-label="Whose sessions">
          <Button
            variant={mine ? 'contained' : 'outlined'}
            color={mine ? 'primary' : 'default'}
            aria-pressed={mine}
            onClick={() => chooseMine(true)}
          >
            Mine
          </Button>
          <Button
            variant={mine ? 'outlined' : 'contained'}
            color={mine ? 'default' : 'primary'}
            aria-pressed={!mine}
            onClick={() => chooseMine(false)}
          >
            All I can see
          </Button>
        </ButtonGroup>
        <TextField
          size="small"
          variant="outlined"
          placeholder="Search project, UUID or owner"
          value={searchText}
          onChange={e => setSearchText(e.target.value)}
          inputProps={{ 'aria-label': 'Search dev sessions' }}
          InputProps={{
            startAdornment: (
              <InputAdornment position="start">
                <SearchIcon fontSize="small" />
              </InputAdornment>
            ),
          }}
        />
        <Tooltip title="Refresh">
          <IconButton
            size="small"
            aria-label="Refresh"
            onClick={() => retry()}
            disabled={result.loading}
          >
            <RefreshIcon />
          </IconButton>
        </Tooltip>
      </Box>
      <Box
        display="flex"
        flexWrap="wrap"
        alignItems="center"
        mb={2}
        style={{ gap: 6 }}
        role="group"
        aria-label="Filter by state"
      >
        {DEV_SESSION_STATES.map(state => {
          const on = states.includes(state);
          return (
            <Chip
              key={state}
              label={state}
              size="small"
              clickable
              color={on ? 'primary' : 'default'}
              variant={on ? 'default' : 'outlined'}
              aria-pressed={on}
              onClick={() => toggleState(state)}
            />
          );
        })}
        {states.length > 0 && (
          <Button
            size="small"
            onClick={() => {
              setPage(0);
              setStates([]);
            }}
          >
            Any state
          </Button>
        )}
      </Box>
      {result.error && (
        <Box mb={2}>
          <WarningPanel
            severity="error"
            title="Could not load the dev sessions"
            message={result.error.message}
          />
        </Box>
      )}
      {empty ? (
        <EmptyState
          missing="data"
          title={
            mine
              ? 'You have no dev sessions yet'
              : 'There are no dev sessions you can see'
          }
          description="A dev session is a project's own development environment: preview, AI chat and VS Code in the browser. Create one from the Dev session template."
          action={
            <LinkButton
              variant="contained"
              color="primary"
              to={DEV_SESSION_TEMPLATE_PATH}
            >
              Create a dev session
            </LinkButton>
          }
        />
      ) : (
        <Table<DevSession>
          title={mine ? 'My dev sessions' : 'Dev sessions I can see'}
          columns={columns}
          data={shown?.items ?? []}
          isLoading={result.loading}
          page={page}
          totalCount={shown?.totalCount ?? 0}
          onPageChange={setPage}
          onRowsPerPageChange={size => {
            setPage(0);
            setPageSize(size);
          }}
          options={{
            paging: true,
            pageSize,
            pageSizeOptions: PAGE_SIZES,
            search: false,
            sorting: false,
            padding: 'dense',
            emptyRowsWhenPaging: false,
          }}
          localization={{
            body: {
              emptyDataSourceMessage: filtered
                ? 'No dev sessions match the search and filters'
                : 'No dev sessions',
            },
          }}
        />
      )}
    </>
  );
}

/** The dev sessions page's content (the new frontend system gives it its header). */
export function DevSessionsPageContent() {
  return (
    <Content>
      <DevSessionsTable />
    </Content>
  );
}

/** The dev sessions page with its own header, for legacy apps. */
export function DevSessionsPage() {
  return (
    <Page themeId="tool">
      <Header
        title="Dev sessions"
        subtitle="Your projects' development environments"
      />
      <DevSessionsPageContent />
    </Page>
  );
}
