export {
	searchPrograms,
	searchSmartLists,
	searchStaticLists,
} from '../../shared/instance/listSearch';
