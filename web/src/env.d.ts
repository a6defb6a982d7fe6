/** Stylesheets imported for their effect: vite bundles them into one CSS file. */
declare module '*.css';
