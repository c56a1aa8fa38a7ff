; BotGate's Windows installer (NSIS 3, 64-bit Unicode stub). Built by
; scripts/dist.sh, which passes the defines:
;   makensis -INPUTCHARSET UTF8 -DVERSION=1.2.3 -DFILEVERSION=1.2.3.0 \
;     -DEXE=dist/botgate-windows-amd64.exe -DICON=botgate.ico \
;     -DOUTFILE=dist/BotGate-Setup-1.2.3.exe packaging/windows/botgate.nsi
;
; Installs botgate.exe to Program Files with Start-menu (and optionally
; desktop) shortcuts. "开机自动启动" runs `botgate.exe service install --start`,
; the command the window's switch runs: the service then uses the machine-wide
; database %ProgramData%\BotGate\botgate.db (docs/service.md).
; Upgrading in place stops a running BotGate service first (Windows will not
; replace a running program) and starts it again afterwards; the data is
; never touched by an install. The uninstaller removes the program, the
; shortcuts and the service, and the data only when "同时删除数据" is ticked.
;
; Silent use (/S) for deployment and scripts/test-windows.sh:
;   BotGate-Setup-X.exe /S [/AUTOSTART] [/NODESKTOP] [/D=C:\path]
;   uninstall.exe /S [/DELETEDATA]

Unicode true
Target amd64-unicode
ManifestDPIAware true
SetCompressor /SOLID lzma

!macro Need NAME
  !ifndef ${NAME}
    !error "botgate.nsi: define ${NAME} (makensis -D${NAME}=...; scripts/dist.sh does)"
  !endif
!macroend
!insertmacro Need VERSION
!insertmacro Need FILEVERSION
!insertmacro Need EXE
!insertmacro Need ICON
!insertmacro Need OUTFILE

!define APPKEY "Software\BotGate"
!define UNINSTKEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\BotGate"

Name "BotGate 机器人 API 服务"
OutFile "${OUTFILE}"
InstallDir "$PROGRAMFILES64\BotGate"
InstallDirRegKey HKLM "${APPKEY}" "InstallDir"
RequestExecutionLevel admin
BrandingText "BotGate ${VERSION}"

!include MUI2.nsh
!include LogicLib.nsh
!include FileFunc.nsh
!include Sections.nsh
!include x64.nsh

!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_ABORTWARNING
!define MUI_WELCOMEPAGE_TEXT "将在这台电脑上安装 BotGate ${VERSION}。$\r$\n$\r$\nBotGate 让 ERP 通过本机 HTTP 接口（默认端口 7789）用机器人发送聊天消息、运行关键字模板。$\r$\n$\r$\n升级时，正在运行的 BotGate 系统服务会先停止，装好后自动重新启动；配置和数据都保留。$\r$\n$\r$\n请先关闭正在运行的 BotGate 窗口，再点“下一步”。"
!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_COMPONENTS
!insertmacro MUI_PAGE_INSTFILES
!define MUI_FINISHPAGE_RUN "$INSTDIR\botgate.exe"
!define MUI_FINISHPAGE_RUN_TEXT "打开 BotGate"
!insertmacro MUI_PAGE_FINISH

!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_COMPONENTS
!insertmacro MUI_UNPAGE_INSTFILES

!insertmacro MUI_LANGUAGE "SimpChinese"

VIProductVersion "${FILEVERSION}"
VIAddVersionKey /LANG=${LANG_SIMPCHINESE} "ProductName" "BotGate"
VIAddVersionKey /LANG=${LANG_SIMPCHINESE} "CompanyName" "BotGate"
VIAddVersionKey /LANG=${LANG_SIMPCHINESE} "FileDescription" "BotGate 机器人 API 服务 安装程序"
VIAddVersionKey /LANG=${LANG_SIMPCHINESE} "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=${LANG_SIMPCHINESE} "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=${LANG_SIMPCHINESE} "LegalCopyright" "BotGate"

; The two databases a BotGate service may run on: the machine-wide one of
; `service install` without --db (the installer's 开机自动启动), and this
; user's default one (what the window used when its switch was turned on).
Var DbShared
Var DbUser
; 1 when the service of that database was running before an upgrade.
Var RestartShared
Var RestartUser

!macro FindDatabases
  SetShellVarContext all
  StrCpy $DbShared "$APPDATA\BotGate\botgate.db"
  SetShellVarContext current
  StrCpy $DbUser "$APPDATA\botgate\botgate.db"
  SetShellVarContext all
!macroend

; Serving DB OUT: OUT is 1 when a BotGate holds the database DB: it holds an
; exclusive lock on one byte at offset 1 GiB of DB.lock while it runs
; (app/lock_windows.go), which the system releases when the process ends.
!macro Serving DB OUT
  StrCpy ${OUT} 0
  ${If} ${FileExists} "${DB}.lock"
    ; GENERIC_READ|GENERIC_WRITE, share read/write/delete, OPEN_EXISTING
    System::Call 'kernel32::CreateFileW(w "${DB}.lock", i 0xC0000000, i 7, p 0, i 3, i 0x80, p 0) p .r8'
    ${If} $8 P<> -1
      ; OVERLAPPED on amd64: Internal, InternalHigh (pointers), Offset, OffsetHigh, hEvent
      System::Call '*(p 0, p 0, i 0x40000000, i 0, p 0) p .r9'
      ; LOCKFILE_EXCLUSIVE_LOCK|LOCKFILE_FAIL_IMMEDIATELY, one byte
      System::Call 'kernel32::LockFileEx(p r8, i 3, i 0, i 1, i 0, p r9) i .r7'
      ${If} $7 == 0
        StrCpy ${OUT} 1
      ${Else}
        System::Call 'kernel32::UnlockFileEx(p r8, i 0, i 1, i 0, p r9)'
      ${EndIf}
      System::Free $9
      System::Call 'kernel32::CloseHandle(p r8)'
    ${EndIf}
  ${EndIf}
!macroend

; StopService DB OUT: stops the service of DB with the installed (old)
; botgate.exe, which waits until the service has let go of the database.
; OUT is 1 when it ran before, so that it is started again after the upgrade.
!macro StopService DB OUT
  !insertmacro Serving "${DB}" ${OUT}
  ${If} ${OUT} == 1
    DetailPrint "正在停止数据库 ${DB} 的 BotGate 系统服务……"
    ; exit 0: the service is installed and now stopped; otherwise none is
    ; installed for DB (a BotGate window holds it) and nothing is restarted.
    ExecWait '"$INSTDIR\botgate.exe" --db "${DB}" service stop' $0
    ${If} $0 != 0
      StrCpy ${OUT} 0
    ${EndIf}
  ${EndIf}
!macroend

!macro StartService DB WAS
  ${If} ${WAS} == 1
    DetailPrint "正在重新启动数据库 ${DB} 的 BotGate 系统服务……"
    ExecWait '"$INSTDIR\botgate.exe" --db "${DB}" service start' $0
    ${If} $0 != 0
      DetailPrint "重新启动系统服务失败（退出码 $0）：请打开 BotGate 窗口的“服务”页查看，或以管理员身份运行 botgate.exe service start"
    ${EndIf}
  ${EndIf}
!macroend

Section "BotGate 程序（必需）" SecMain
  SectionIn RO
  ${If} ${FileExists} "$INSTDIR\botgate.exe"
    DetailPrint "发现已安装的 BotGate：升级，配置和数据保留"
    !insertmacro StopService $DbShared $RestartShared
    !insertmacro StopService $DbUser $RestartUser
  ${EndIf}
  SetOutPath "$INSTDIR"
  SetOverwrite on
  File "/oname=botgate.exe" "${EXE}"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  CreateDirectory "$SMPROGRAMS\BotGate"
  CreateShortcut "$SMPROGRAMS\BotGate\BotGate.lnk" "$INSTDIR\botgate.exe" "" "$INSTDIR\botgate.exe" 0 SW_SHOWNORMAL "" "BotGate 机器人 API 服务"
  CreateShortcut "$SMPROGRAMS\BotGate\卸载 BotGate.lnk" "$INSTDIR\uninstall.exe"

  WriteRegStr HKLM "${APPKEY}" "InstallDir" "$INSTDIR"
  WriteRegStr HKLM "${APPKEY}" "Version" "${VERSION}"
  WriteRegStr HKLM "${UNINSTKEY}" "DisplayName" "BotGate 机器人 API 服务"
  WriteRegStr HKLM "${UNINSTKEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKLM "${UNINSTKEY}" "Publisher" "BotGate"
  WriteRegStr HKLM "${UNINSTKEY}" "DisplayIcon" "$INSTDIR\botgate.exe"
  WriteRegStr HKLM "${UNINSTKEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKLM "${UNINSTKEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKLM "${UNINSTKEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKLM "${UNINSTKEY}" "NoModify" 1
  WriteRegDWORD HKLM "${UNINSTKEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  IntFmt $0 "0x%08X" $0
  WriteRegDWORD HKLM "${UNINSTKEY}" "EstimatedSize" "$0"

  !insertmacro StartService $DbShared $RestartShared
  !insertmacro StartService $DbUser $RestartUser
SectionEnd

Section "桌面快捷方式" SecDesktop
  CreateShortcut "$DESKTOP\BotGate.lnk" "$INSTDIR\botgate.exe" "" "$INSTDIR\botgate.exe" 0 SW_SHOWNORMAL "" "BotGate 机器人 API 服务"
SectionEnd

Section /o "开机自动启动" SecService
  ${If} $RestartShared == 1
    Return ; upgraded: the service is installed and running again
  ${EndIf}
  DetailPrint "正在安装并启动 BotGate 系统服务（数据库 $DbShared）……"
  ExecWait '"$INSTDIR\botgate.exe" service install --start' $0
  ${If} $0 != 0
    ; Installed earlier and stopped: start it.
    ExecWait '"$INSTDIR\botgate.exe" service start' $0
  ${EndIf}
  ${If} $0 != 0
    MessageBox MB_ICONEXCLAMATION|MB_OK "没能安装或启动 BotGate 系统服务（退出码 $0）。$\r$\n请打开 BotGate 窗口，在“服务”页打开“开机自动启动”，那里会说明原因。" /SD IDOK
  ${EndIf}
SectionEnd

; After the sections: it selects them by their index.
Function .onInit
  ${IfNot} ${RunningX64}
    MessageBox MB_ICONSTOP|MB_OK "BotGate 需要 64 位 Windows（Windows 10 或更新版本）。" /SD IDOK
    Abort
  ${EndIf}
  SetRegView 64
  !insertmacro FindDatabases
  StrCpy $RestartShared 0
  StrCpy $RestartUser 0
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/AUTOSTART" $R1
  ${IfNot} ${Errors}
    !insertmacro SelectSection ${SecService}
  ${EndIf}
  ClearErrors
  ${GetOptions} $R0 "/NODESKTOP" $R1
  ${IfNot} ${Errors}
    !insertmacro UnselectSection ${SecDesktop}
  ${EndIf}
FunctionEnd

!insertmacro MUI_FUNCTION_DESCRIPTION_BEGIN
  !insertmacro MUI_DESCRIPTION_TEXT ${SecMain} "botgate.exe 和开始菜单里的快捷方式。"
  !insertmacro MUI_DESCRIPTION_TEXT ${SecDesktop} "在桌面上放一个 BotGate 图标。"
  !insertmacro MUI_DESCRIPTION_TEXT ${SecService} "把 BotGate 安装为 Windows 系统服务：开机就运行，不用登录，关闭窗口也不停止。数据库在 $DbShared。以后可以在窗口的“服务”页关闭。"
!insertmacro MUI_FUNCTION_DESCRIPTION_END

Section "un.程序和系统服务（必需）" SecUnMain
  SectionIn RO
  DetailPrint "正在卸载 BotGate 系统服务……"
  ; Each stops its service first and keeps the database; one not
  ; installed for that database answers with an error, which is fine here.
  ExecWait '"$INSTDIR\botgate.exe" --db "$DbShared" service uninstall' $0
  ExecWait '"$INSTDIR\botgate.exe" --db "$DbUser" service uninstall' $0
  Delete "$INSTDIR\botgate.exe"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\BotGate\BotGate.lnk"
  Delete "$SMPROGRAMS\BotGate\卸载 BotGate.lnk"
  RMDir "$SMPROGRAMS\BotGate"
  Delete "$DESKTOP\BotGate.lnk"
  DeleteRegKey HKLM "${UNINSTKEY}"
  DeleteRegKey HKLM "${APPKEY}"
SectionEnd

Section /o "un.同时删除数据" SecUnData
  DetailPrint "正在删除数据 $DbShared 和 $DbUser 所在的文件夹……"
  ${If} $APPDATA != ""
    RMDir /r "$APPDATA\BotGate"
  ${EndIf}
  SetShellVarContext current
  ${If} $APPDATA != ""
    RMDir /r "$APPDATA\botgate"
  ${EndIf}
  SetShellVarContext all
SectionEnd

Function un.onInit
  SetRegView 64
  !insertmacro FindDatabases
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/DELETEDATA" $R1
  ${IfNot} ${Errors}
    !insertmacro SelectSection ${SecUnData}
  ${EndIf}
FunctionEnd

!insertmacro MUI_UNFUNCTION_DESCRIPTION_BEGIN
  !insertmacro MUI_DESCRIPTION_TEXT ${SecUnMain} "删除 botgate.exe、快捷方式和 BotGate 系统服务。数据库、配置和日志保留，重新安装后继续使用。"
  !insertmacro MUI_DESCRIPTION_TEXT ${SecUnData} "同时删除 $DbShared 和 $DbUser 所在的文件夹：所有配置、发送记录和日志。不能恢复。"
!insertmacro MUI_UNFUNCTION_DESCRIPTION_END
