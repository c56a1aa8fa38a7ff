package ui

import (
	"encoding/json"
	"sync/atomic"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"botgate/assets"
)

// The interface is written in Chinese; assets/translations/en.json maps each
// string to English. BotGate picks the language itself instead of following
// the system locale: DESIGN says Chinese by default, and the language of an
// office PC's Windows (an English edition, a server image) says little about
// what its admin reads. 关于 → 语言 switches to English, and the window
// remembers the choice in its preferences (prefLanguage).
const (
	LangChinese = "zh"
	LangEnglish = "en"
)

// prefLanguage is the preferences key holding the admin's choice.
const prefLanguage = "language"

var (
	english  map[string]string
	language atomic.Value // LangChinese or LangEnglish
)

func init() {
	b, err := assets.Translations.ReadFile("translations/en.json")
	if err == nil {
		err = json.Unmarshal(b, &english)
	}
	if err != nil {
		// Only a broken build gets here; the Chinese text still shows.
		fyne.LogError("loading embedded translations", err)
	}
	setLanguage(LangChinese)
}

// T translates an interface string into the language in use: Chinese
// strings stay as written, English ones come from en.json (a string without
// a translation stays Chinese).
func T(s string) string {
	if Language() == LangEnglish {
		if v := english[s]; v != "" {
			return v
		}
	}
	return s
}

// Language is the interface language in use.
func Language() string {
	l, _ := language.Load().(string)
	return l
}

// setLanguage switches T and Fyne's own words (dialog buttons, the file
// dialog) to l; anything but LangEnglish is Chinese.
func setLanguage(l string) {
	if l != LangEnglish {
		l = LangChinese
	}
	language.Store(l)
	setFyneWords(l)
}

// languageFromPrefs applies the language saved in fa's preferences (Chinese
// when none was chosen).
func languageFromPrefs(fa fyne.App) {
	setLanguage(fa.Preferences().StringWithFallback(prefLanguage, LangChinese))
}

// fyneWords are the strings Fyne's widgets and dialogs translate themselves
// (its lang package, keyed by English), in Chinese and English.
var fyneWords = map[string][2]string{
	"Advanced": {"高级", "Advanced"}, "Cancel": {"取消", "Cancel"}, "Confirm": {"确认", "Confirm"},
	"Copy": {"复制", "Copy"}, "Create Folder": {"创建", "Create Folder"}, "Cut": {"剪切", "Cut"},
	"Enter filename": {"输入文件名", "Enter filename"}, "Error": {"错误", "Error"},
	"Favourites": {"收藏", "Favourites"}, "File": {"文件", "File"}, "Folder": {"文件夹", "Folder"},
	"New Folder": {"新建文件夹", "New Folder"}, "No": {"否", "No"}, "OK": {"确定", "OK"},
	"Open": {"打开", "Open"}, "Paste": {"粘贴", "Paste"}, "Quit": {"退出", "Quit"}, "Redo": {"重做", "Redo"},
	"Save": {"保存", "Save"}, "Select all": {"全选", "Select all"},
	"Show Hidden Files": {"显示隐藏文件", "Show Hidden Files"}, "Undo": {"撤销", "Undo"}, "Yes": {"是", "Yes"},
}

// fynePluralWords are Fyne's keyed strings (lang.X) in the same two languages.
var fynePluralWords = map[string][2]string{
	"file.name": {"名称", "Name"}, "file.parent": {"上一级", "Parent"},
}

// fyneLocales are the languages Fyne 2.7 ships translations for, plus ours.
// Fyne matches the system locale against them; giving every one of them our
// words makes its dialogs speak the window's language whatever the system's.
var fyneLocales = []fyne.Locale{"cs", "de", "el", "en", "es", "fr", "pl", "pt", "pt_BR", "ru", "sv", "ta", "uk", "zh_Hans"}

func setFyneWords(l string) {
	i := 0
	if l == LangEnglish {
		i = 1
	}
	m := map[string]any{}
	for k, v := range fyneWords {
		m[k] = v[i]
	}
	for k, v := range fynePluralWords {
		m[k] = map[string]string{"other": v[i]}
	}
	b, err := json.Marshal(m)
	if err != nil {
		fyne.LogError("encoding Fyne's words", err)
		return
	}
	for _, loc := range fyneLocales {
		if err := lang.AddTranslationsForLocale(b, loc); err != nil {
			fyne.LogError("setting Fyne's words for "+string(loc), err)
		}
	}
}

// placeNames are the file dialog's favourite places, which Fyne shows by
// their English folder names without translating them.
var placeNames = map[string]string{
	"Home": "主目录", "Computer": "此电脑", "Desktop": "桌面", "Documents": "文档", "Downloads": "下载",
	"Music": "音乐", "Pictures": "图片", "Videos": "视频", "Movies": "影片", "App Files": "应用文件",
}

// placeName is how the file dialog shows a favourite place in the window's language.
func placeName(s string) string {
	if Language() == LangChinese {
		if v, ok := placeNames[s]; ok {
			return v
		}
	}
	return s
}
