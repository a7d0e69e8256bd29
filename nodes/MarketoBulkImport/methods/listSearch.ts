export { searchPrograms, searchStaticLists } from '../../shared/instance/listSearch';
