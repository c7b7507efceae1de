// The supervisor dashboard's entry: renders the dashboard into the page.

import { render } from 'preact';
import { Dashboard } from './dashboard.js';

render(<Dashboard />, document.getElementById('app')!);
