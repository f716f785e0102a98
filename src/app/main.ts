/** The page's entry point: defines `<tandem-app>` and, through it, every other element. */
import './tandem-app';
