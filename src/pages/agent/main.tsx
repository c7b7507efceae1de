// The agent desktop's entry: renders the desktop into the page.

import { render } from 'preact';
import { Desktop } from './desktop.js';

render(<Desktop />, document.getElementById('app')!);
