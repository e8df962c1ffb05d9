import '@testing-library/jest-dom';
import { configure } from '@testing-library/react';

// findBy*/waitFor wait up to 5 s (default 1 s): the suites run next to cluster tests in ./dev test
configure({ asyncUtilTimeout: 5000 });
