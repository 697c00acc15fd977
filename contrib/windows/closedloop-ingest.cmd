@echo off
rem One pass of closedloop over the shared folder, for the Windows Task Scheduler.
rem Change the two paths to yours. The output is appended to a log beside the registry.
set CLOSEDLOOP=C:\closedloop\venv\Scripts\closedloop.exe
set SHARE=D:\Complaints
"%CLOSEDLOOP%" ingest "%SHARE%" >> "%SHARE%\.closedloop\ingest.log" 2>&1
exit /b %ERRORLEVEL%
