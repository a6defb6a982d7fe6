/** Entry point of the dashboard bundle. */
import { render } from 'preact';
import { App } from './app';
import './styles.css';

const saved = localStorage.getItem('setpoint.theme');
if (saved && saved !== 'auto') document.documentElement.dataset.theme = saved;
render(<App />, document.getElementById('app')!);
